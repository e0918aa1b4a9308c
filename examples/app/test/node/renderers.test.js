'use strict'
// node:test; `electron` is aliased by ../electron-alias.js (--require).
const { describe, it, before, after, beforeEach, afterEach } = require('node:test')

require('../spec/renderers')({ describe, it, before, after, beforeEach, afterEach })
