/**
 * Mirror of contracts/messages.tact opcodes and contracts/constants.tact values, for every off-chain part.
 * tests/constants.test.ts parses the Tact sources and fails on any difference.
 */
export const Op = {
    Setup: 0x434f0001,
    ProposeParams: 0x434f0002,
    ExecuteParams: 0x434f0003,
    CancelParams: 0x434f0004,
    AddMeasurement: 0x434f0005,
    RevokeMeasurement: 0x434f0006,
    AddModel: 0x434f0007,
    RemoveModel: 0x434f0008,
    AddVerifier: 0x434f0009,
    RemoveVerifier: 0x434f000a,
    SetPaused: 0x434f000b,
    TransferOwnership: 0x434f000c,
    AcceptOwnership: 0x434f000d,
    RegisterProvider: 0x434f0010,
    RelayRevocation: 0x434f0011,
    ProviderAttest: 0x434f0020,
    ProviderRevoked: 0x434f0021,
    RegistrationRefused: 0x434f0022,
    SetAsk: 0x434f0030,
    RemoveAsk: 0x434f0031,
    SetCapacity: 0x434f0032,
    SetEndpoint: 0x434f0033,
    SetProviderPaused: 0x434f0034,
    StakeTopUp: 0x434f0035,
    StartUnbonding: 0x434f0036,
    CompleteUnbonding: 0x434f0037,
    WithdrawEarnings: 0x434f0038,
    PushKey: 0x434f0039,
    CreateOrder: 0x434f0040,
    MatchOrder: 0x434f0041,
    BookConfigUpdate: 0x434f0050,
    BookModelUpdate: 0x434f0051,
    OrderInit: 0x434f0060,
    Reserve: 0x434f0070,
    ReserveAccepted: 0x434f0071,
    OrderPayment: 0x434f0073,
    PaymentReturned: 0x434f0074,
    EnclaveKeyUpdate: 0x434f0075,
    DisputeRefund: 0x434f0076,
    ReleaseReservation: 0x434f0077,
    Claim: 0x434f0080,
    ExternalClaim: 0x434f0081,
    ExternalClose: 0x434f0087,
    TopUp: 0x434f0082,
    Close: 0x434f0083,
    Timeout: 0x434f0084,
    Dispute: 0x434f0085,
    OrderPayout: 0x434f0086,
    Excesses: 0xd53276db,
    MatchRefused: 0x434f0090,
    MatchFeePaid: 0x434f0091,
    OrderRefund: 0x434f0092,
    PublishLibrary: 0x434f00a0,
    WithdrawLibraryFunds: 0x434f00a1,
} as const;

export const ExitCode = {
    ACCESS_DENIED: 300,
    LOW_VALUE: 301,
    BAD_STATE: 302,
    PAUSED: 303,
    TIMELOCK: 304,
    NOTHING_PENDING: 305,
    FULL: 306,
    BAD_PARAM: 307,
    ALREADY_SETUP: 308,
    NOT_SETUP: 309,
    BAD_SIGNATURE: 310,
    BAD_CERT: 311,
    CERT_EXPIRED: 312,
    MEASUREMENT: 313,
    TOO_FEW_SIGNATURES: 314,
    SIGNATURE_ORDER: 315,
    STAKE_TOO_LOW: 316,
    UNBONDING_LOCKED: 317,
    NOT_ACTIVE: 318,
    MODEL_NOT_SERVED: 319,
    ASK_TOO_HIGH: 320,
    NO_CAPACITY: 321,
    ATTESTATION_TOO_SHORT: 322,
    BUDGET_TOO_LOW: 323,
    MODEL_NOT_ALLOWED: 324,
    BAD_DEADLINES: 325,
    UNKNOWN_ORDER: 326,
    BAD_RECEIPT: 330,
    SEQNO: 331,
    CLAIM_TOO_SMALL: 332,
    TOO_LATE: 333,
    TOO_EARLY: 334,
    NOTHING_TO_WITHDRAW: 335,
    NO_DISPUTE: 336,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

/** Human text for an exit code, for CLIs and logs. */
export function describeExitCode(code: number): string {
    const name = (Object.keys(ExitCode) as ExitCodeName[]).find((k) => ExitCode[k] === code);
    return name ? `${name} (${code})` : `exit code ${code}`;
}

export const OrderState = {
    OPEN: 0,
    // 1 was PENDING: no longer used (a match reaches the Order once, from the Provider)
    MATCHED: 2,
    CLOSING: 3,
    SETTLED: 4,
    REFUNDED: 5,
    EXPIRED: 6,
    UNINIT: 7,
} as const;
export const ORDER_STATE_NAMES = ['open', 'pending', 'matched', 'closing', 'settled', 'refunded', 'expired', 'uninit'];

export const ProviderStatus = {
    ACTIVE: 0,
    UNBONDING: 1,
    DEACTIVATED: 2,
    EXITED: 3,
} as const;
export const PROVIDER_STATUS_NAMES = ['active', 'unbonding', 'deactivated', 'exited'];

export const Tags = {
    RECEIPT_TAG: 0xf4b300d6,
    ATTEST_TAG: 0xc8168b7b,
    CLOSE_TAG: 0x68e09e18,
} as const;

export const Bounds = {
    FEE_BPS_CAP: 500,
    MAX_MEASUREMENTS: 32,
    MAX_MODELS: 64,
    MAX_VERIFIERS: 16,
    MAX_PROVIDER_MODELS: 16,
    MAX_CAPACITY: 1024,
} as const;

/** nanoTON. Attach at least these; the contracts refuse less with LOW_VALUE (301). */
export const Gas = {
    ORDER_STORAGE_RESERVE: 10_000_000n,
    ORDER_RELEASE_VALUE: 10_000_000n,
    PROVIDER_STORAGE_RESERVE: 50_000_000n,
    CREATE_ORDER_GAS: 30_000_000n,
    MATCH_GAS: 40_000_000n,
    CLAIM_GAS: 20_000_000n,
    PAYOUT_GAS: 20_000_000n,
    CLOSE_GAS: 20_000_000n,
    DISPUTE_GAS: 30_000_000n,
    REGISTER_GAS: 200_000_000n,
    PROVIDER_OP_GAS: 10_000_000n,
    RELAY_GAS: 20_000_000n,
    GOVERNANCE_GAS: 20_000_000n,
    EXTERNAL_CLAIM_GAS_UNITS: 10_200n,
    EXTERNAL_SETTLE_GAS_UNITS: 15_000n,
    EXTERNAL_CLAIM_MARGIN: 1_000_000n,
} as const;

/** Basechain gas price (nanoTON per gas unit) of the sandbox, localnet, testnet and mainnet configs today. */
export const BASECHAIN_GAS_PRICE = 400n;

/**
 * What the Order takes out of the provider's share for an external claim: the compute fee of
 * EXTERNAL_CLAIM_GAS_UNITS (a claim that records its charge) or EXTERNAL_SETTLE_GAS_UNITS (a final one, which
 * settles). Above the 100 flat gas units this is units × price, as getComputeFee computes it.
 */
export function externalClaimFee(final: boolean, gasPrice = BASECHAIN_GAS_PRICE): bigint {
    return (final ? Gas.EXTERNAL_SETTLE_GAS_UNITS : Gas.EXTERNAL_CLAIM_GAS_UNITS) * gasPrice;
}

/**
 * The smallest delta the Order accepts as an external claim (else CLAIM_TOO_SMALL): its fee plus the margin;
 * a final one must also leave the payment it sends (what the Order holds for the provider, `heldNet`, plus
 * delta − fee) at least ORDER_RELEASE_VALUE, which pays the Provider's processing.
 */
export function externalClaimMin(final: boolean, heldNet = 0n, gasPrice = BASECHAIN_GAS_PRICE): bigint {
    const fee = externalClaimFee(final, gasPrice);
    const min = fee + Gas.EXTERNAL_CLAIM_MARGIN;
    if (!final) return min;
    const forPayment = fee + Gas.ORDER_RELEASE_VALUE - heldNet;
    return forPayment > min ? forPayment : min;
}
