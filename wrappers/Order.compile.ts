// The Order is written in Tolk (contracts/order.tolk). The Tact contracts need its code hash (the address of
// an Order is derived from a library reference to it): wrappers/Registry.compile.ts compiles it first and
// writes contracts/order_code.tact.
import { CompilerConfig } from '@ton/blueprint';

export const compile: CompilerConfig = {
    lang: 'tolk',
    entrypoint: 'contracts/order.tolk',
    withStackComments: true,
};
