/**
 * The global names a p5.js sketch may use (global mode): the p5 API for drawing, colour,
 * shapes, transforms, maths, typography, events and input, plus plain JavaScript built-ins
 * that cannot reach the page, the network or code from strings. Everything else global is
 * refused (code-check.ts). Loaders, DOM helpers, storage and URL helpers are left out on
 * purpose; see NETWORK_LOADERS for the loaders that pass with a `data:` URL.
 */
const P5 = `
  setup draw preload remove noLoop loop isLooping push pop redraw frameRate getTargetFrameRate
  createCanvas resizeCanvas noCanvas createGraphics blendMode clear background colorMode fill noFill
  noStroke stroke erase noErase color alpha blue brightness green hue lerpColor lightness red saturation
  arc ellipse circle line point quad rect square triangle ellipseMode noSmooth rectMode smooth strokeCap
  strokeJoin strokeWeight bezier bezierDetail bezierPoint bezierTangent curve curveDetail curveTightness
  curvePoint curveTangent beginContour beginShape bezierVertex curveVertex endContour endShape quadraticVertex
  vertex normal plane box sphere cylinder cone ellipsoid torus orbitControl debugMode noDebugMode
  ambientLight specularColor directionalLight pointLight lights lightFalloff spotLight noLights
  ambientMaterial emissiveMaterial specularMaterial shininess normalMaterial camera perspective ortho frustum
  createCamera setCamera applyMatrix resetMatrix rotate rotateX rotateY rotateZ scale shearX shearY translate
  textAlign textLeading textSize textStyle textWidth textAscent textDescent textWrap text textFont
  image tint noTint imageMode pixels loadPixels updatePixels get set copy filter blend createImage
  abs ceil constrain dist exp floor lerp log mag map max min norm pow round sq sqrt fract
  createVector noise noiseDetail noiseSeed random randomSeed randomGaussian
  acos asin atan atan2 cos sin tan degrees radians angleMode
  int float str boolean byte char unchar hex unhex join match matchAll nf nfc nfp nfs split splitTokens
  trim append arrayCopy concat reverse shorten shuffle sort splice subset
  millis second minute hour day month year frameCount deltaTime focused cursor noCursor
  width height windowWidth windowHeight displayWidth displayHeight windowResized fullscreen pixelDensity
  displayDensity print
  mouseX mouseY pmouseX pmouseY winMouseX winMouseY pwinMouseX pwinMouseY movedX movedY mouseButton
  mouseIsPressed mouseMoved mouseDragged mousePressed mouseReleased mouseClicked doubleClicked mouseWheel
  requestPointerLock exitPointerLock keyIsPressed key keyCode keyPressed keyReleased keyTyped keyIsDown
  touches touchStarted touchMoved touchEnded deviceMoved deviceTurned deviceShaken
  accelerationX accelerationY accelerationZ pAccelerationX pAccelerationY pAccelerationZ
  rotationX rotationY rotationZ pRotationX pRotationY pRotationZ turnAxis deviceOrientation
  setMoveThreshold setShakeThreshold
  p5 PI TWO_PI HALF_PI QUARTER_PI TAU DEGREES RADIANS CENTER CORNER CORNERS RADIUS LEFT RIGHT TOP BOTTOM
  BASELINE CLOSE OPEN CHORD PIE PROJECT SQUARE ROUND BEVEL MITER RGB HSB HSL AUTO P2D WEBGL
  POINTS LINES LINE_STRIP LINE_LOOP TRIANGLES TRIANGLE_FAN TRIANGLE_STRIP QUADS QUAD_STRIP TESS
  BLEND REMOVE ADD DARKEST LIGHTEST DIFFERENCE SUBTRACT EXCLUSION MULTIPLY SCREEN REPLACE OVERLAY
  HARD_LIGHT SOFT_LIGHT DODGE BURN THRESHOLD GRAY OPAQUE INVERT POSTERIZE DILATE ERODE BLUR
  NORMAL ITALIC BOLD BOLDITALIC WORD CHAR LANDSCAPE PORTRAIT ARROW CROSS HAND MOVE TEXT WAIT
  BACKSPACE DELETE ENTER RETURN TAB ESCAPE SHIFT CONTROL OPTION ALT UP_ARROW DOWN_ARROW LEFT_ARROW RIGHT_ARROW
  IMAGE NEAREST LINEAR CLAMP REPEAT MIRROR
`

const JS = `
  Math Number String Boolean Array JSON Date Map Set WeakMap WeakSet Symbol Infinity NaN undefined
  parseInt parseFloat isNaN isFinite console Error RangeError TypeError Float32Array Int32Array Uint8Array
  Uint8ClampedArray Object setTimeout setInterval clearTimeout clearInterval requestAnimationFrame
  cancelAnimationFrame arguments
`

export const ALLOWED_GLOBALS = new Set(`${P5} ${JS}`.split(/\s+/).filter(Boolean))

/** p5 loaders that fetch a URL: allowed only with a literal `data:` URL. */
export const NETWORK_LOADERS = new Set(['loadImage', 'loadJSON', 'loadStrings', 'loadTable', 'loadXML', 'loadBytes', 'loadSound', 'loadFont', 'loadModel', 'loadShader', 'createImg', 'createVideo', 'createAudio'])

/** The only members of `Object` a sketch may call: none of them reach prototypes or descriptors. */
export const OBJECT_MEMBERS = new Set(['keys', 'values', 'entries', 'assign', 'freeze', 'fromEntries'])

/**
 * Property names no sketch needs and every escape does: the way to Function (constructor,
 * __proto__), the page (document, window, top, parent, location, history, navigator),
 * network, storage and cookies. Refused as a property, as a literal key and as a declared
 * name, whatever object they hang on (`this` may be the window in a plain function call).
 */
export const DENIED_NAMES = new Set(`
  constructor __proto__ __defineGetter__ __defineSetter__ __lookupGetter__ __lookupSetter__ prototype
  eval Function AsyncFunction GeneratorFunction globalThis window self top parent opener frames frameElement
  document location history navigator cookie cookieStore localStorage sessionStorage indexedDB caches
  fetch XMLHttpRequest WebSocket EventSource sendBeacon Request Worker SharedWorker serviceWorker
  importScripts postMessage open close Image Audio Reflect Proxy innerHTML outerHTML insertAdjacentHTML
  srcdoc src href action write writeln createElement appendChild append prepend before after
  setAttribute getRootNode ownerDocument defaultView contentWindow contentDocument
  alert confirm prompt getOwnPropertyDescriptor getOwnPropertyDescriptors defineProperty defineProperties
  getPrototypeOf setPrototypeOf bind call apply storeItem getItem removeItem clearStorage httpGet httpPost
  httpDo getURL getURLPath getURLParams select selectAll createA createCapture createFileInput
  saveCanvas saveFrames saveGif saveJSON saveStrings saveTable save
`.split(/\s+/).filter(Boolean))
