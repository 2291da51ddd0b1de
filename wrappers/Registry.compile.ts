// Registry.tact imports every other Tact contract, so this one compile emits Registry, Provider and Librarian
// (wrappers/<Name>.ts re-export each). The Order and the OrderBook are Tolk (wrappers/Order.compile.ts,
// OrderBook.compile.ts): the OrderBook is compiled first (and the Order before it, whose code hash goes to
// contracts/order_code.tact for order_address.tact), and its code written to contracts/order_book_code.tact,
// from which the Registry deploys it and derives its address.
import { compile as compileContract, CompilerConfig } from '@ton/blueprint';
import { promises as fs } from 'fs';
import path from 'path';

export const compile: CompilerConfig = {
    lang: 'tact',
    target: 'contracts/registry.tact',
    options: {
        debug: false,
        external: true,
    },
    preCompileHook: async () => {
        const code = await compileContract('OrderBook');
        const root = path.join(__dirname, '..');
        const hash = code.hash();
        await fs.mkdir(path.join(root, 'build'), { recursive: true });
        await fs.writeFile(
            path.join(root, 'build', 'OrderBook.compiled.json'),
            JSON.stringify({
                hash: hash.toString('hex'),
                hashBase64: hash.toString('base64'),
                hex: code.toBoc().toString('hex'),
            }),
        );
        await fs.writeFile(
            path.join(root, 'contracts', 'order_book_code.tact'),
            '// Written by the build (wrappers/Registry.compile.ts) from contracts/order_book.tolk: do not edit.\n' +
                '\n' +
                "// The OrderBook's code (the Registry deploys it and derives its address).\n" +
                'asm fun orderBookCode(): Cell {\n' +
                `    B{${code.toBoc().toString('hex')}} B>boc PUSHREF\n` +
                '}\n',
        );
    },
};
