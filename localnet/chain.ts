/**
 * The local chain: one @ton/sandbox Blockchain plus what the sandbox lacks for a toncenter front end
 * (block numbering, a reliable transaction log, a faucet) behind one mutex.
 *
 * Every method that touches the sandbox runs inside `mutex.runExclusive`: the sandbox's single message
 * queue loses transactions when two sends overlap, and reads during a send could see half a batch.
 */
import {
    Blockchain,
    BlockchainTransaction,
    EmulationError,
    GetMethodError,
    SandboxContract,
    SendMessageResult,
    SmartContract,
    snapshotFromSerializable,
    snapshotToSerializable,
    TreasuryContract,
    createEmptyShardAccount,
} from '@ton/sandbox';
import {
    Address,
    beginCell,
    Cell,
    external,
    loadMessage,
    Message,
    StateInit,
    storeMessage,
    TupleItem,
} from '@ton/core';
import { BlockRef, ChainClock, ChainClockState } from './chainClock';
import { liteServerError, RpcError } from './errors';
import { Mutex } from './mutex';
import { LoggedTx, SavedTx, TxLog, workchainOf } from './txLog';
import { installMarketLibraries } from '../market/libraries';

const TREASURY_SEED = 'cocoon-localnet-faucet';
/** Enough for any faucet request; topped up again when a request would drain it. */
const TREASURY_FLOAT = 1_000_000_000n * 1_000_000_000n;

/** sandbox does not export the type of its serializable snapshot; derive it from the function. */
export type SerializableSnapshot = ReturnType<typeof snapshotToSerializable>;

export type SavedChain = { snapshot: SerializableSnapshot; clock: ChainClockState; txs: SavedTx[] };

export type AccountInfo = {
    address: Address;
    balance: bigint;
    state: 'active' | 'uninitialized' | 'frozen';
    code: Cell | null;
    data: Cell | null;
    frozenHash: Buffer | null;
    lastLt: bigint;
    lastHash: Buffer;
};

export type GetMethodOutcome = { exitCode: number; gasUsed: number; stack: TupleItem[] };

export type FeeEstimate = { inFwdFee: bigint; storageFee: bigint; gasFee: bigint; fwdFee: bigint };

export type SendOutcome = { block: BlockRef; transactions: LoggedTx[] };

export class LocalChain {
    readonly mutex = new Mutex();

    private constructor(
        readonly blockchain: Blockchain,
        readonly clock: ChainClock,
        readonly txLog: TxLog,
        private readonly treasury: SandboxContract<TreasuryContract>,
    ) {}

    static async create(opts: { saved?: SavedChain; historySize?: number } = {}): Promise<LocalChain> {
        const blockchain = await Blockchain.create();
        let clock: ChainClock;
        let txLog: TxLog;
        if (opts.saved) {
            await blockchain.loadFrom(snapshotFromSerializable(opts.saved.snapshot));
            clock = new ChainClock(opts.historySize, opts.saved.clock);
            txLog = TxLog.fromJSON(opts.saved.txs);
        } else {
            clock = new ChainClock(opts.historySize);
            txLog = new TxLog();
        }
        // The market's Orders run their code from a library (contracts/order_address.tact); a real network
        // publishes it through the Librarian, localnet simply knows it (also after a restore).
        await installMarketLibraries(blockchain);
        // Leave blockchain.now unset: the sandbox then uses the wall clock, which wallets need
        // (W5R1 rejects a valid_until too far from its `now`).
        const treasuryBefore = blockchain.snapshot().transactions.length;
        const treasury = await blockchain.treasury(TREASURY_SEED, { balance: TREASURY_FLOAT });
        const chain = new LocalChain(blockchain, clock, txLog, treasury);
        // A fresh treasury deploys itself with one transaction: log it like any other.
        const deployTxs = blockchain.snapshot().transactions.slice(treasuryBefore);
        if (deployTxs.length > 0) {
            chain.commit(deployTxs);
        }
        chain.dropSandboxHistory();
        chain.publishPrevBlocks();
        return chain;
    }

    get treasuryAddress(): Address {
        return this.treasury.address;
    }

    exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
        return this.mutex.runExclusive(fn);
    }

    /** Produces an empty block (timer tick). */
    tick(): Promise<BlockRef> {
        return this.exclusive(() => {
            const block = this.clock.advance();
            this.publishPrevBlocks();
            return block;
        });
    }

    /**
     * Records one batch of transactions as a new block. Called inside the mutex right after the
     * sandbox committed them.
     */
    private commit(transactions: BlockchainTransaction[]): SendOutcome {
        const block = this.clock.advance();
        const logged: LoggedTx[] = [];
        for (const tx of transactions) {
            logged.push(this.txLog.add(tx, workchainOf(tx.inMessage, -1), block.seqno));
        }
        if (logged.length > 0) {
            this.clock.pin(block);
        }
        this.dropSandboxHistory();
        this.publishPrevBlocks();
        return { block, transactions: logged };
    }

    /**
     * The sandbox keeps every transaction (with VM logs) in memory and in its snapshots; we keep our
     * own log, so its copy is dropped to bound memory and state-file size.
     */
    private dropSandboxHistory(): void {
        (this.blockchain as unknown as { transactions: unknown[] }).transactions = [];
    }

    /** Lets contracts see our masterchain blocks through PREVMCBLOCKS, as on a real chain. */
    private publishPrevBlocks(): void {
        const toId = (b: BlockRef) => ({
            workchain: -1,
            shard: -(1n << 63n),
            seqno: b.seqno,
            rootHash: b.rootHash,
            fileHash: b.fileHash,
        });
        this.blockchain.prevBlocks = {
            lastMcBlocks: this.clock.lastBlocks(16).map(toId),
            prevKeyBlock: toId(this.clock.genesis),
        };
    }

    /**
     * Accepts an external-in message BOC (sendBoc). A message the contract does not accept throws in
     * the sandbox; it becomes toncenter's liteserver error so the client sees a failure.
     */
    sendBoc(boc: Buffer): Promise<{ message: Message; cell: Cell; outcome: SendOutcome }> {
        let cell: Cell;
        let message: Message;
        try {
            cell = Cell.fromBoc(boc)[0];
            message = loadMessage(cell.beginParse());
        } catch (e) {
            throw new RpcError(422, `Invalid boc: ${(e as Error).message}`);
        }
        if (message.info.type !== 'external-in') {
            throw new RpcError(422, 'Only external-in messages can be sent');
        }
        return this.exclusive(async () => {
            let result: SendMessageResult;
            try {
                result = await this.blockchain.sendMessage(message);
            } catch (e) {
                // A rejected external commits nothing; anything else that failed part-way may have
                // committed transactions already, and the log must match the state.
                if (this.sandboxTransactions().length > 0) {
                    this.commit(this.sandboxTransactions());
                }
                throw rejectionError(e, message);
            }
            return { message, cell, outcome: this.commit(result.transactions) };
        });
    }

    /**
     * Runs a direct sandbox operation (a test deploying through `blockchain.treasury`, a script using
     * `blockchain.openContract`) under the mutex, and logs every transaction it produced as one block,
     * so it shows up through the API like any other. Use this instead of touching `blockchain` bare.
     */
    apply<T>(fn: (blockchain: Blockchain) => Promise<T>): Promise<{ value: T; outcome: SendOutcome }> {
        return this.exclusive(async () => {
            this.dropSandboxHistory();
            let value: T;
            try {
                value = await fn(this.blockchain);
            } catch (e) {
                // Commit what did run before the failure, so the log matches the state.
                this.commit(this.sandboxTransactions());
                throw e;
            }
            return { value, outcome: this.commit(this.sandboxTransactions()) };
        });
    }

    private sandboxTransactions(): BlockchainTransaction[] {
        return (this.blockchain as unknown as { transactions: BlockchainTransaction[] }).transactions;
    }

    /** Sends `amount` nanoTON from the treasury (non-bounceable), optionally deploying `init`. */
    faucet(to: Address, amount: bigint, init?: StateInit): Promise<SendOutcome> {
        if (amount <= 0n) {
            throw new RpcError(422, 'amount must be positive');
        }
        return this.exclusive(async () => {
            const treasury = await this.blockchain.getContract(this.treasury.address);
            if (treasury.balance < amount + TREASURY_FLOAT / 2n) {
                treasury.balance = treasury.balance + amount + TREASURY_FLOAT;
            }
            const result = await this.treasury.send({ to, value: amount, bounce: false, init });
            return this.commit(result.transactions);
        });
    }

    account(address: Address): Promise<AccountInfo> {
        return this.exclusive(async () => {
            const contract = await this.blockchain.getContract(address);
            const st = contract.accountState;
            let state: AccountInfo['state'] = 'uninitialized';
            let code: Cell | null = null;
            let data: Cell | null = null;
            let frozenHash: Buffer | null = null;
            if (st?.type === 'active') {
                state = 'active';
                code = st.state.code ?? null;
                data = st.state.data ?? null;
            } else if (st?.type === 'frozen') {
                state = 'frozen';
                frozenHash = Buffer.from(st.stateHash.toString(16).padStart(64, '0'), 'hex');
            }
            return {
                address,
                balance: contract.balance,
                state,
                code,
                data,
                frozenHash,
                lastLt: contract.lastTransactionLt,
                lastHash: Buffer.from(contract.lastTransactionHash.toString(16).padStart(64, '0'), 'hex'),
            };
        });
    }

    runGetMethod(address: Address, method: string | number, stack: TupleItem[]): Promise<GetMethodOutcome> {
        return this.exclusive(async () => {
            const contract = await this.blockchain.getContract(address);
            if (contract.accountState?.type !== 'active') {
                // toncenter answers -13 for a get method on an account without code.
                return { exitCode: -13, gasUsed: 0, stack: [] };
            }
            try {
                const res = await this.blockchain.runGetMethod(address, method, stack);
                return { exitCode: res.exitCode, gasUsed: Number(res.gasUsed), stack: res.stack };
            } catch (e) {
                if (e instanceof GetMethodError) {
                    return { exitCode: e.exitCode, gasUsed: Number(e.gasUsed), stack: [] };
                }
                throw liteServerError(`get method failed: ${(e as Error).message}`);
            }
        });
    }

    /**
     * Fee estimate for an external message: runs it on a scratch copy of the account so nothing is
     * committed. A scratch account with less than 1 TON gets 1 TON, so that an undeployed wallet's
     * first message can be estimated (fees do not depend on the balance).
     */
    estimateFee(address: Address, body: Cell, init: StateInit | null, ignoreChksig: boolean): Promise<FeeEstimate> {
        return this.exclusive(async () => {
            const real = await this.blockchain.getContract(address);
            const known = real.accountState !== undefined;
            const scratch = new SmartContract(known ? real.account : createEmptyShardAccount(address), this.blockchain);
            if (scratch.balance < 1_000_000_000n) {
                scratch.balance = 1_000_000_000n;
            }
            const needsInit = init !== null && scratch.accountState?.type !== 'active';
            const message = external({ to: address, body, init: needsInit ? init : undefined });
            let tx;
            try {
                tx = await scratch.receiveMessage(message, { ignoreChksig });
            } catch (e) {
                throw rejectionError(e, message);
            }
            const d = tx.description;
            if (d.type !== 'generic') {
                throw liteServerError('unexpected transaction type');
            }
            const gasFee = d.computePhase.type === 'vm' ? d.computePhase.gasFees : 0n;
            const storageFee = d.storagePhase?.storageFeesCollected ?? 0n;
            const actionFees = d.actionPhase?.totalActionFees ?? 0n;
            const fwdFee = d.actionPhase?.totalFwdFees ?? 0n;
            // total_fees = import fee + storage + gas + action fees: what remains is the in_fwd_fee.
            let inFwdFee = tx.totalFees.coins - gasFee - storageFee - actionFees;
            if (inFwdFee < 0n) {
                inFwdFee = 0n;
            }
            return { inFwdFee, storageFee, gasFee, fwdFee };
        });
    }

    /** A consistent copy of everything that persistence needs. */
    save(): Promise<SavedChain> {
        return this.exclusive(() => {
            const snapshot = this.blockchain.snapshot();
            return {
                snapshot: snapshotToSerializable({ ...snapshot, transactions: [] }),
                clock: this.clock.toJSON(),
                txs: this.txLog.toJSON(),
            };
        });
    }
}

/** Maps a sandbox emulation failure to the liteserver error toncenter returns for a rejected external. */
function rejectionError(e: unknown, message: Message): RpcError {
    if (e instanceof RpcError) {
        return e;
    }
    const hash = beginCell().store(storeMessage(message)).endCell().hash().toString('hex');
    if (e instanceof EmulationError) {
        const exit = e.exitCode !== undefined ? `exitcode=${e.exitCode}` : e.error;
        return liteServerError(
            `cannot apply external message to current state : External message was not accepted\n` +
                `Cannot run message on account: inbound external message rejected by transaction ${hash}:\n${exit}`,
        );
    }
    return liteServerError(`cannot apply external message to current state : ${(e as Error).message ?? String(e)}`);
}
