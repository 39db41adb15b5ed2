/**
 * The dependency rule of the layered layout (README, "Architecture"), checked by `npm run lint`:
 *
 *   shared/kernel      vocabulary every layer shares; imports nothing of ours
 *   shared/ports, db, storage, config, observability, runtime, health
 *                      the platform's base: interfaces and the database schema features use
 *   shared/domain/*    feature areas; import the kernel and the base, never http or adapters
 *   shared/http, shared/adapters, functions, infra, bin
 *                      edges: may import features, never the reverse
 *
 * and no cycles between folders.
 */
const BASE = '^shared/(ports|db|storage|config|observability|runtime|health)/';

module.exports = {
  forbidden: [
    {
      name: 'kernel-imports-nothing-of-ours',
      comment: 'shared/kernel is the vocabulary every layer shares: it may import only itself and packages.',
      severity: 'error',
      from: { path: '^shared/kernel/' },
      to: { path: '^(shared|functions|infra|bin|test|bench|scripts)/', pathNot: '^shared/kernel/' },
    },
    {
      name: 'base-imports-no-feature-or-edge',
      comment:
        'Ports, db, storage, config, observability, runtime and health sit under the features: they import the kernel and each other only.',
      severity: 'error',
      from: { path: BASE },
      to: { path: '^(shared/(domain|http|adapters)|functions|infra|bin)/' },
    },
    {
      name: 'features-import-no-edge',
      comment:
        'A feature area reaches the outside through ports; http, adapters, functions and infra wire it, never the reverse.',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: { path: '^(shared/(http|adapters)|functions|infra|bin)/' },
    },
    {
      name: 'learning-is-pure',
      comment: 'The learning core (learners, transforms, metrics) imports nothing outside its own folder.',
      severity: 'error',
      from: { path: '^shared/domain/learning/' },
      to: { path: '^shared/', pathNot: '^shared/(domain/learning|kernel)/' },
    },
    {
      name: 'shared-imports-no-entry-point',
      comment: 'Nothing in shared/ imports a Lambda entry point or the composition in infra/ and bin/.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|infra|bin|test|bench|scripts)/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders form layers: two folders that import each other are one folder, or a missing port.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(shared|functions|infra|bin)/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      comment: 'Modules import each other in one direction only.',
      severity: 'error',
      from: { path: '^(shared|functions|infra|bin)/' },
      to: { circular: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|\\.pipeweave)/' },
  },
};
