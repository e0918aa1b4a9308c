'use strict'
// jest; `electron` is aliased by moduleNameMapper in ../../jest.config.js.

require('../spec/in-process')({ describe, it, before: beforeAll, after: afterAll, beforeEach, afterEach })
