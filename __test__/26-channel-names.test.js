'use strict'
// The pump's cache of decoded channel names (lib/pump.js channelName): a
// hit must be exactly the string utf8Slice makes of the same bytes, for
// names that share a slot, a length, a prefix, or are not valid UTF-8.

const test = require('node:test')
const assert = require('node:assert')
const { channelName } = require('../lib/pump')

function check(buf, start, end) {
  assert.strictEqual(channelName(buf, start, end), buf.utf8Slice(start, end))
}

test('channel names decode as utf8Slice, many names sharing 64 slots, twice each', () => {
  const names = []
  for (let i = 0; i < 500; i++) names.push(`ch-${i}`, `ch-${i}x`, `x${i}-ch`)
  names.push('ping', 'pong', 'é', 'канал', '通道', '😀', 'a'.repeat(32), 'a'.repeat(33), 'b'.repeat(31) + 'é')
  for (let round = 0; round < 2; round++) {
    for (const name of names) {
      // At an offset, inside a bigger buffer, as in a batch.
      const buf = Buffer.concat([Buffer.from('head'), Buffer.from(name), Buffer.from('tail')])
      check(buf, 4, buf.length - 4)
    }
  }
})

test('names differing in one byte, same length and slot mates, never mix', () => {
  const a = Buffer.from('abcd')
  for (let c = 0; c < 256; c++) {
    a[3] = c
    check(a, 0, 4)
    check(a, 0, 4)
    check(a, 1, 4)
  }
})

test('bytes that are not valid UTF-8 decode as utf8Slice does, from the cache too', () => {
  const bad = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x82]), Buffer.from([0x61, 0xed, 0xa0, 0x80])]
  for (const b of bad) {
    check(b, 0, b.length)
    check(b, 0, b.length)
  }
})
