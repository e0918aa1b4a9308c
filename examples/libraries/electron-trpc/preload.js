'use strict'
// The window's preload, as electron-trpc's README writes it (step 2).

const { exposeElectronTRPC } = require('electron-trpc/main')

process.once('loaded', async () => {
  exposeElectronTRPC()
})
