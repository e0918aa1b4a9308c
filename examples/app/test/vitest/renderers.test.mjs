// vitest; `electron` is aliased by ../../vitest.config.mjs (resolve.alias, and
// ../electron-alias.js as a setup file for require()).
import { describe, it, beforeAll, afterAll, beforeEach, afterEach } from 'vitest'
import spec from '../spec/renderers.js'

spec({ describe, it, before: beforeAll, after: afterAll, beforeEach, afterEach })
