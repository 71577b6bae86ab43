// Bundles the diagnosis panel (labextension/src/panel, TypeScript) into the one ES module the
// anywidget of gradmagic/views/widget.py loads: gradmagic/views/static/panel.bundle.mjs.
// Types are checked by `tsc -p labextension/tsconfig.panel.json` (run before this by
// `jlpm build:panel`); rspack only strips them (builtin swc loader) and bundles the vendored
// dagre layout and marked's lexer in. Licence comments (/*! ... */) are kept in the bundle.
//
//   node labextension/build-panel.mjs [--dev]    (--dev: not minified)
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { rspack } = require('@rspack/core');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const outDir = path.join(root, 'gradmagic', 'views', 'static');
const dev = process.argv.includes('--dev');
const marked = require('marked/package.json');

// marked's own header is a plain /** */ comment, which minifying drops: say it here
const banner = `/*! gradmagic diagnosis panel (built from labextension/src/panel by labextension/build-panel.mjs).
 * Bundles marked ${marked.version} - a markdown parser (https://github.com/markedjs/marked), MIT License:
 * Copyright (c) 2018-2026, MarkedJS. Copyright (c) 2011-2018, Christopher Jeffrey.
 * and @dagrejs/dagre (its licence follows, where it is bundled). */`;

const compiler = rspack({
  mode: dev ? 'development' : 'production',
  context: here,
  entry: './src/panel/index.ts',
  target: ['web', 'es2020'],
  devtool: false,
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\.ts$/,
        exclude: /node_modules/,
        loader: 'builtin:swc-loader',
        options: { jsc: { parser: { syntax: 'typescript' }, target: 'es2020' } },
        type: 'javascript/auto'
      }
    ]
  },
  experiments: { outputModule: true },
  output: {
    path: outDir,
    filename: 'panel.bundle.mjs',
    module: true,
    chunkFormat: 'module',
    library: { type: 'module' },
    clean: false
  },
  optimization: {
    minimize: !dev,
    minimizer: [
      new rspack.SwcJsMinimizerRspackPlugin({
        extractComments: false,
        minimizerOptions: { format: { comments: 'some' } }
      })
    ]
  },
  plugins: [new rspack.BannerPlugin({ banner, raw: true, entryOnly: true })],
  performance: { hints: false }
});

compiler.run((error, stats) => {
  compiler.close(() => {});
  if (error) {
    console.error(error);
    process.exit(1);
  }
  if (stats.hasErrors()) {
    console.error(stats.toString({ colors: false, all: false, errors: true }));
    process.exit(1);
  }
  const asset = stats.toJson({ all: false, assets: true }).assets.find(a => a.name === 'panel.bundle.mjs');
  console.log(`panel: ${path.relative(root, path.join(outDir, 'panel.bundle.mjs'))} (${asset ? asset.size : '?'} bytes)`);
});
