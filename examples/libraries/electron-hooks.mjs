// module.register() hooks (see ./electron-alias.js): `import … from 'electron'`
// resolves to ipc-main's stand-in, as a bundler alias would.

let target

export function initialize(data) {
  target = data.target
}

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: target, shortCircuit: true }
  return next(specifier, context)
}
