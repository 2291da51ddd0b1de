import * as fs from 'fs';
import * as path from 'path';
import { Cell } from '@ton/core';

const cache = new Map<string, Cell>();

/**
 * A Tolk contract's code as `npm run build` compiled it (wrappers/<name>.compile.ts, written to
 * build/<name>.compiled.json), read once.
 */
export function compiledCode(name: 'Order' | 'OrderBook'): Cell {
    let code = cache.get(name);
    if (!code) {
        const file = path.join(__dirname, '..', 'build', `${name}.compiled.json`);
        code = Cell.fromHex(JSON.parse(fs.readFileSync(file, 'utf8')).hex);
        cache.set(name, code);
    }
    return code;
}
