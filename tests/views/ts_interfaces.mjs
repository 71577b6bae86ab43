// Prints the interfaces of a TypeScript file as JSON: {name: {member: {optional, type}}}, read with the
// TypeScript compiler's own parser (the project's node_modules/typescript).
//
//   node ts_interfaces.mjs TYPESCRIPT_DIR FILE.ts
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ts = require(path.resolve(process.argv[2]));
const file = process.argv[3];
const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
const out = {};
source.forEachChild(node => {
  if (!ts.isInterfaceDeclaration(node)) return;
  const members = {};
  for (const member of node.members) {
    if (ts.isPropertySignature(member)) {
      members[member.name.getText(source)] = {
        optional: Boolean(member.questionToken),
        type: member.type ? member.type.getText(source) : 'any'
      };
    }
  }
  out[node.name.text] = members;
});
console.log(JSON.stringify(out));
