/**
 * GGUF constants shared by the tiny-model writer and the validator, so both speak exactly the same format
 * (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md; checked facts in TOOLCHAIN.md).
 */

export const GGUF_MAGIC = 'GGUF';
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types. */
export const GGUF_VALUE = {
    UINT8: 0,
    INT8: 1,
    UINT16: 2,
    INT16: 3,
    UINT32: 4,
    INT32: 5,
    FLOAT32: 6,
    BOOL: 7,
    STRING: 8,
    ARRAY: 9,
    UINT64: 10,
    INT64: 11,
    FLOAT64: 12,
} as const;

/** Fixed byte size of each scalar metadata type (strings and arrays are variable). */
export const GGUF_SCALAR_SIZE: Record<number, number> = {
    0: 1,
    1: 1,
    2: 2,
    3: 2,
    4: 4,
    5: 4,
    6: 4,
    7: 1,
    10: 8,
    11: 8,
    12: 8,
};

/** Token types in tokenizer.ggml.token_type. */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/**
 * ggml tensor types: [elements per block, bytes per block]. The validator needs them to check that every
 * tensor's data lies inside the file; a type missing here is refused rather than guessed.
 */
export const GGML_TYPE_LAYOUT: Record<number, { name: string; block: number; bytes: number }> = {
    0: { name: 'F32', block: 1, bytes: 4 },
    1: { name: 'F16', block: 1, bytes: 2 },
    2: { name: 'Q4_0', block: 32, bytes: 18 },
    3: { name: 'Q4_1', block: 32, bytes: 20 },
    6: { name: 'Q5_0', block: 32, bytes: 22 },
    7: { name: 'Q5_1', block: 32, bytes: 24 },
    8: { name: 'Q8_0', block: 32, bytes: 34 },
    9: { name: 'Q8_1', block: 32, bytes: 36 },
    10: { name: 'Q2_K', block: 256, bytes: 84 },
    11: { name: 'Q3_K', block: 256, bytes: 110 },
    12: { name: 'Q4_K', block: 256, bytes: 144 },
    13: { name: 'Q5_K', block: 256, bytes: 176 },
    14: { name: 'Q6_K', block: 256, bytes: 210 },
    15: { name: 'Q8_K', block: 256, bytes: 292 },
    16: { name: 'IQ2_XXS', block: 256, bytes: 66 },
    17: { name: 'IQ2_XS', block: 256, bytes: 74 },
    18: { name: 'IQ3_XXS', block: 256, bytes: 98 },
    19: { name: 'IQ1_S', block: 256, bytes: 50 },
    20: { name: 'IQ4_NL', block: 32, bytes: 18 },
    21: { name: 'IQ3_S', block: 256, bytes: 110 },
    22: { name: 'IQ2_S', block: 256, bytes: 82 },
    23: { name: 'IQ4_XS', block: 256, bytes: 136 },
    24: { name: 'I8', block: 1, bytes: 1 },
    25: { name: 'I16', block: 1, bytes: 2 },
    26: { name: 'I32', block: 1, bytes: 4 },
    27: { name: 'I64', block: 1, bytes: 8 },
    28: { name: 'F64', block: 1, bytes: 8 },
    29: { name: 'IQ1_M', block: 256, bytes: 56 },
    30: { name: 'BF16', block: 1, bytes: 2 },
    34: { name: 'TQ1_0', block: 256, bytes: 54 },
    35: { name: 'TQ2_0', block: 256, bytes: 66 },
    39: { name: 'MXFP4', block: 32, bytes: 17 },
};

/** Byte size of a tensor's data, or null for an unknown type or a row that is not a whole number of blocks. */
export function tensorDataSize(type: number, dims: readonly bigint[]): bigint | null {
    const layout = GGML_TYPE_LAYOUT[type];
    if (!layout) return null;
    if (dims.length === 0) return null;
    if (dims[0] % BigInt(layout.block) !== 0n) return null;
    let elements = 1n;
    for (const d of dims) elements *= d;
    return (elements / BigInt(layout.block)) * BigInt(layout.bytes);
}

export function alignUp(n: bigint, alignment: bigint): bigint {
    return ((n + alignment - 1n) / alignment) * alignment;
}
