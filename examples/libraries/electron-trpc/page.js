'use strict'
// The window's page: a tRPC client over electron-trpc's ipcLink, as in its
// README (step 3). It reaches main only through `globalThis.electronTRPC`,
// which the preload exposed. The test drives it through ../harness.js.

const { createTRPCProxyClient } = require('@trpc/client')
const { ipcLink } = require('electron-trpc/renderer')
const { serve, push } = require('../harness')

const client = createTRPCProxyClient({ links: [ipcLink()] })

const subscriptions = new Map()

serve(
  {
    whoami: () => client.whoami.query(),
    addNote: (text) => client.notes.add.mutate({ text }),
    getNote: (id) => client.notes.get.query(id),
    countNotes: () => client.notes.count.query(),
    backup: () => client.backup.mutate(),
    // Many calls in flight at once: each answer must reach its own caller.
    getNotes: (ids) => Promise.all(ids.map((id) => client.notes.get.query(id))),
    subscribe(key) {
      const sub = client.notes.onAdd.subscribe(undefined, {
        onData: (note) => push(key, note),
        onError: (err) => push(key, { error: err.message }),
        onComplete: () => push(key, { complete: true }),
      })
      subscriptions.set(key, sub)
    },
    unsubscribe(key) {
      subscriptions.get(key).unsubscribe()
      subscriptions.delete(key)
    },
  },
  {
    // The error's name says TRPCClientError; `instanceof` the class from
    // @trpc/client would be false, in Electron too: electron-trpc's renderer
    // bundle carries its own copy (jsonnull/electron-trpc#209).
    describeError: (err) => ({
      code: err.data && err.data.code,
      path: err.data && err.data.path,
    }),
  },
)
