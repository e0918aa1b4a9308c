'use strict'
// The generated napi loader, required in one place.
module.exports = require('../binding.js')
