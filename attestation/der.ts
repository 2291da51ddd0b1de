/**
 * Minimal DER reader and writer.
 *
 * Why our own: the verifier must read CRLs and certificates synchronously and byte-exactly (raw TBS bytes to
 * check signatures, raw issuer/subject names to compare them), and the development PKI must write Intel's
 * SGX extension (a nested SEQUENCE of OID/value pairs) that no X.509 library models. Both need only a handful
 * of tags, so a small strict codec is clearer than pulling a transitive ASN.1 dependency into our API.
 */

export const TAG = {
    BOOLEAN: 0x01,
    INTEGER: 0x02,
    BIT_STRING: 0x03,
    OCTET_STRING: 0x04,
    NULL: 0x05,
    OID: 0x06,
    ENUMERATED: 0x0a,
    UTC_TIME: 0x17,
    GENERALIZED_TIME: 0x18,
    SEQUENCE: 0x30,
    SET: 0x31,
} as const;

export class DerError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'DerError';
    }
}

/** One decoded TLV. `raw` is the whole element (tag+length+content); `content` only the value bytes. */
export interface DerNode {
    tag: number;
    raw: Buffer;
    content: Buffer;
}

/** Reads the TLV starting at `offset`; strict DER: definite lengths, minimal long-form lengths. */
export function readNode(buf: Buffer, offset = 0): DerNode & { end: number } {
    if (offset + 2 > buf.length) throw new DerError(`truncated DER header at offset ${offset}`);
    const tag = buf[offset];
    if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte DER tags are not supported (offset ${offset})`);
    let len = buf[offset + 1];
    let header = 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4) throw new DerError(`unsupported DER length form at offset ${offset}`);
        if (offset + 2 + n > buf.length) throw new DerError(`truncated DER length at offset ${offset}`);
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i];
        if (len < 0x80 || buf[offset + 2] === 0) throw new DerError(`non-minimal DER length at offset ${offset}`);
        header += n;
    }
    const end = offset + header + len;
    if (end > buf.length) throw new DerError(`DER element at offset ${offset} runs past the end of its container`);
    return { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + header, end), end };
}

/** Decodes exactly one element that must fill `buf` completely. */
export function decodeOne(buf: Buffer): DerNode {
    const node = readNode(buf, 0);
    if (node.end !== buf.length) throw new DerError(`${buf.length - node.end} trailing bytes after DER element`);
    return { tag: node.tag, raw: node.raw, content: node.content };
}

/** Children of a constructed element (SEQUENCE, SET, context-specific constructed). */
export function children(node: DerNode): DerNode[] {
    if ((node.tag & 0x20) === 0) throw new DerError(`tag 0x${node.tag.toString(16)} is not constructed`);
    const out: DerNode[] = [];
    let off = 0;
    while (off < node.content.length) {
        const child = readNode(node.content, off);
        out.push({ tag: child.tag, raw: child.raw, content: child.content });
        off = child.end;
    }
    return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
    if (!node) throw new DerError(`${what}: missing`);
    if (node.tag !== tag)
        throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
    return node;
}

/** OID content bytes -> dotted string. */
export function decodeOid(content: Buffer): string {
    if (content.length === 0) throw new DerError('empty OID');
    const parts: number[] = [];
    const first = content[0];
    parts.push(Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40);
    let value = 0;
    for (let i = 1; i < content.length; i++) {
        value = value * 128 + (content[i] & 0x7f);
        if ((content[i] & 0x80) === 0) {
            parts.push(value);
            value = 0;
        }
    }
    return parts.join('.');
}

/** UTCTime / GeneralizedTime content -> Date (RFC 5280 forms: YYMMDDHHMMSSZ and YYYYMMDDHHMMSSZ). */
export function decodeTime(node: DerNode): Date {
    const s = node.content.toString('ascii');
    let m: RegExpMatchArray | null;
    if (node.tag === TAG.UTC_TIME && (m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/))) {
        const yy = Number(m[1]);
        // RFC 5280 4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
        const year = yy >= 50 ? 1900 + yy : 2000 + yy;
        return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
    }
    if (node.tag === TAG.GENERALIZED_TIME && (m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/))) {
        return new Date(
            Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])),
        );
    }
    throw new DerError(`unsupported time encoding: ${JSON.stringify(s)}`);
}

/** INTEGER content -> canonical upper-case hex without leading zero bytes (how serials are compared). */
export function integerHex(content: Buffer): string {
    let i = 0;
    while (i < content.length - 1 && content[i] === 0) i++;
    return content.subarray(i).toString('hex').toUpperCase();
}

// ---- writer -------------------------------------------------------------------------------------------

function encodeLength(len: number): Buffer {
    if (len < 0x80) return Buffer.from([len]);
    const bytes: number[] = [];
    for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encodeTlv(tag: number, content: Buffer): Buffer {
    return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export function encodeSequence(items: Buffer[]): Buffer {
    return encodeTlv(TAG.SEQUENCE, Buffer.concat(items));
}

export function encodeOid(oid: string): Buffer {
    const parts = oid.split('.').map((p) => {
        if (!/^\d+$/.test(p)) throw new DerError(`bad OID component in ${oid}`);
        return Number(p);
    });
    if (parts.length < 2) throw new DerError(`OID needs at least two components: ${oid}`);
    const bytes: number[] = [parts[0] * 40 + parts[1]];
    for (const part of parts.slice(2)) {
        const chunk: number[] = [part & 0x7f];
        for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
        bytes.push(...chunk);
    }
    return encodeTlv(TAG.OID, Buffer.from(bytes));
}

/** Non-negative INTEGER (or ENUMERATED with `tag`), minimal two's-complement encoding. */
export function encodeUInt(value: number, tag: number = TAG.INTEGER): Buffer {
    if (!Number.isInteger(value) || value < 0) throw new DerError(`encodeUInt: ${value} is not a non-negative int`);
    const bytes: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    if (bytes.length === 0 || bytes[0] & 0x80) bytes.unshift(0);
    return encodeTlv(tag, Buffer.from(bytes));
}

export function encodeOctetString(content: Buffer): Buffer {
    return encodeTlv(TAG.OCTET_STRING, content);
}

export function encodeBoolean(value: boolean): Buffer {
    return encodeTlv(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}
