/**
 * Shrinks node-llama-cpp's prebuilt CUDA backend (libggml-cuda.so, ~160 MB) for one GPU generation, so that it
 * fits the 64 MiB a device run of this repo may carry (worker/bench/gpu/bundle.sh). It keeps the ELF intact and
 * zeroes the payload of every fatbin entry except the one kept: the CUDA driver picks its code by architecture from
 * the entry headers (left untouched), so on that generation it loads the kept entry and the zeroed ones, which
 * compress to nothing, are never read. The prebuilt 3.21.1 carries SASS for sm_86/89/120/121 and PTX for
 * compute_75/80/90: Hopper (H100/H200, sm_90) runs the compute_90 PTX, JIT-compiled by the driver on first use.
 * A machine with internet needs none of this: `npm ci` installs the full package.
 *
 * --ptx-version 9.0: that PTX is ISA 9.1 (CUDA 13.1), and a CUDA 13.0 driver (580.x, what the lent H100/H200 run)
 * refuses to JIT it ("the provided PTX was compiled with an unsupported toolchain"). With this flag each kept PTX
 * entry (zstd-compressed in the fatbin) is decompressed, its `.version` line and the entry header's PTX version
 * are set to the given one, and it is recompressed in place; the driver's JIT then compiles it or names the
 * instruction it lacks. Needs the zstd command.
 *
 * Usage: ts-node worker/bench/gpu/pruneFatbin.ts <in.so> <out.so> [--keep ptx:90] [--ptx-version 9.0]
 */
import { execFileSync } from 'child_process';
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

const ZSTD_MAGIC = 0xfd2fb528;

// Entry header (80 bytes): kind u16, version u16, header size u32, padded payload u64, payload size u32 (+16),
// PTX version minor u16 / major u16 (+24), arch u32 (+28), ..., uncompressed size u64 (+56).
function withPtxVersion(payload: Buffer, version: string): Buffer {
    if (payload.readUInt32LE(0) !== ZSTD_MAGIC) throw new Error('kept PTX entry is not zstd-compressed');
    const ptx = execFileSync('zstd', ['-d', '-c'], { input: payload, maxBuffer: 1 << 30 });
    const patched = Buffer.from(
        ptx.toString('latin1').replace(/^\.version \d+\.\d+$/m, `.version ${version}`),
        'latin1',
    );
    if (patched.length !== ptx.length) throw new Error('PTX length changed'); // one digit for one digit
    return execFileSync('zstd', ['--ultra', '-22', '-c', '--no-check'], { input: patched, maxBuffer: 1 << 30 });
}

function main(): void {
    const [input, output] = process.argv.slice(2);
    if (!input || !output) throw new Error('usage: pruneFatbin.ts <in.so> <out.so> [--keep ptx:90]');
    const i = process.argv.indexOf('--keep');
    const [kindName, archText] = (i >= 0 ? process.argv[i + 1] : 'ptx:90').split(':');
    const keepKind = KIND[kindName as keyof typeof KIND];
    const keepArch = Number(archText);
    if (!keepKind || !Number.isInteger(keepArch)) throw new Error('--keep must be ptx:<arch> or sass:<arch>');

    const v = process.argv.indexOf('--ptx-version');
    const ptxVersion = v >= 0 ? process.argv[v + 1] : undefined;
    if (ptxVersion !== undefined && !/^\d+\.\d+$/.test(ptxVersion)) throw new Error('--ptx-version must be like 9.0');

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
        const first = pos + headerSize;
        const containerEnd = first + Number(buf.readBigUInt64LE(pos + 8));
        let keep: { header: Buffer; payload: Buffer } | undefined;
        for (let e = first; e < containerEnd;) {
            const entryHeader = buf.readUInt32LE(e + 4);
            const padded = buf.readUInt32LE(e + 8);
            if (buf.readUInt16LE(e) === keepKind && buf.readUInt32LE(e + 28) === keepArch) {
                keep = {
                    header: Buffer.from(buf.subarray(e, e + entryHeader)),
                    payload: Buffer.from(buf.subarray(e + entryHeader, e + entryHeader + buf.readUInt32LE(e + 16))),
                };
            } else zeroed += padded;
            e += entryHeader + padded;
        }
        // The container keeps one entry, the kept one, first and padded to the container's end: the driver walks
        // entries by their padded sizes, so the rest of the container (zeroed) is never read.
        buf.fill(0, first, containerEnd);
        if (keep) {
            kept++;
            const payload = ptxVersion ? withPtxVersion(keep.payload, ptxVersion) : keep.payload;
            const room = containerEnd - first - keep.header.length;
            if (payload.length > room) throw new Error(`entry (${payload.length}) exceeds its container (${room})`);
            keep.header.writeUInt32LE(room, 8);
            keep.header.writeUInt32LE(0, 12);
            keep.header.writeUInt32LE(payload.length, 16);
            if (ptxVersion) {
                const [major, minor] = ptxVersion.split('.').map(Number);
                keep.header.writeUInt16LE(minor, 24);
                keep.header.writeUInt16LE(major, 26);
            }
            keep.header.copy(buf, first);
            payload.copy(buf, first + keep.header.length);
        }
        pos = containerEnd;
    }
    if (kept === 0) throw new Error(`no ${kindName}:${keepArch} entry: nothing would run; refusing to write`);
    writeFileSync(output, buf);
    console.log(JSON.stringify({ kept, zeroedMB: Math.round(zeroed / 1e5) / 10 }));
}

main();
