'use strict'
// mocha; `electron` is aliased by ../electron-alias.js (require in ../../.mocharc.js).

require('../spec/renderers')({ describe, it, before, after, beforeEach, afterEach })
