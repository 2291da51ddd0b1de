/**
 * Shrinks node-llama-cpp's prebuilt CUDA backend (libggml-cuda.so, ~160 MB) for one GPU generation, so that it
 * fits the 64 MiB a device run of this repo may carry (worker/bench/gpu/bundle.sh). It keeps the ELF intact and
 * zeroes the payload of every fatbin entry except the one kept: the CUDA driver picks its code by architecture from
 * the entry headers (left untouched), so on that generation it loads the kept entry and the zeroed ones, which
 * compress to nothing, are never read. The prebuilt 3.21.1 carries SASS for sm_86/89/120/121 and PTX for
 * compute_75/80/90: Hopper (H100/H200, sm_90) runs the compute_90 PTX, JIT-compiled by the driver on first use.
 * A machine with internet needs none of this: `npm ci` installs the full package.
 *
 * Usage: ts-node worker/bench/gpu/pruneFatbin.ts <in.so> <out.so> [--keep ptx:90]
 */
import { readFileSync, writeFileSync } from 'fs';

const FATBIN_MAGIC = 0xba55ed50;
const KIND = { ptx: 1, sass: 2 } as const;

function elfSection(buf: Buffer, name: string): { offset: number; size: number } {
    // 64-bit little-endian ELF only: the one node-llama-cpp ships for linux-x64.
    if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new Error('not a 64-bit LE ELF');
    const shoff = Number(buf.readBigUInt64LE(0x28));
    const shentsize = buf.readUInt16LE(0x3a);
    const shnum = buf.readUInt16LE(0x3c);
    const shstrndx = buf.readUInt16LE(0x3e);
    const strtab = Number(buf.readBigUInt64LE(shoff + shstrndx * shentsize + 0x18));
    for (let i = 0; i < shnum; i++) {
        const h = shoff + i * shentsize;
        const nameOff = strtab + buf.readUInt32LE(h);
        const end = buf.indexOf(0, nameOff);
        if (buf.toString('latin1', nameOff, end) === name) {
            return { offset: Number(buf.readBigUInt64LE(h + 0x18)), size: Number(buf.readBigUInt64LE(h + 0x20)) };
        }
    }
    throw new Error(`no ${name} section`);
}

function main(): void {
    const [input, output] = process.argv.slice(2);
    if (!input || !output) throw new Error('usage: pruneFatbin.ts <in.so> <out.so> [--keep ptx:90]');
    const i = process.argv.indexOf('--keep');
    const [kindName, archText] = (i >= 0 ? process.argv[i + 1] : 'ptx:90').split(':');
    const keepKind = KIND[kindName as keyof typeof KIND];
    const keepArch = Number(archText);
    if (!keepKind || !Number.isInteger(keepArch)) throw new Error('--keep must be ptx:<arch> or sass:<arch>');

    const buf = readFileSync(input);
    const section = elfSection(buf, '.nv_fatbin');
    const end = section.offset + section.size;
    let kept = 0;
    let zeroed = 0;
    for (let pos = section.offset; pos < end;) {
        if (buf.readUInt32LE(pos) !== FATBIN_MAGIC) {
            pos += 8; // containers are 8-byte aligned
            continue;
        }
        const headerSize = buf.readUInt16LE(pos + 6);
        const containerEnd = pos + headerSize + Number(buf.readBigUInt64LE(pos + 8));
        for (let e = pos + headerSize; e < containerEnd;) {
            const kind = buf.readUInt16LE(e);
            const entryHeader = buf.readUInt32LE(e + 4);
            const payload = buf.readUInt32LE(e + 8);
            const arch = buf.readUInt32LE(e + 28);
            if (kind === keepKind && arch === keepArch) kept++;
            else {
                buf.fill(0, e + entryHeader, e + entryHeader + payload);
                zeroed += payload;
            }
            e += entryHeader + payload;
        }
        pos = containerEnd;
    }
    if (kept === 0) throw new Error(`no ${kindName}:${keepArch} entry: nothing would run; refusing to write`);
    writeFileSync(output, buf);
    console.log(JSON.stringify({ kept, zeroedMB: Math.round(zeroed / 1e5) / 10 }));
}

main();
