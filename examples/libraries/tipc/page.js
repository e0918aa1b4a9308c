'use strict'
// The window's page: tipc's client and event handlers over what the preload
// exposed, as in tipc's README and example app (`window.electron` there;
// `window` is the worker's global object, see ../window.js).

const { createClient, createEventHandlers } = require('@egoist/tipc/renderer')
const { serve, push } = require('../harness')

const { ipcRenderer } = globalThis.electron

const client = createClient({ ipcInvoke: ipcRenderer.invoke })

const handlers = createEventHandlers({
  on: ipcRenderer.on,
  send: ipcRenderer.send,
})

const stopListening = handlers.noteAdded.listen((note) => push('noteAdded', note))

let answer = true
handlers.confirm.handle(async (question) => {
  push('confirm', question)
  if (answer instanceof Error) throw answer
  return answer
})

serve({
  sum: (a, b) => client.sum({ a, b }),
  whoami: () => client.whoami(),
  addNote: (text) => client.addNote({ text }),
  deleteNote: (id) => client.deleteNote(id),
  answerConfirm(value) {
    answer = value === 'throw' ? new Error('the dialog was dismissed') : value
  },
  stopListening: () => stopListening(),
})
