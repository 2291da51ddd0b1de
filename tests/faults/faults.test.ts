/**
 * Fault injection (docs/TESTING.md "Fault injection"). `npm test` runs one seeded scenario (2 sessions);
 * `npm run test:faults` runs COCOON_FAULT_ROUNDS scenarios with more sessions and a higher fault rate.
 * COCOON_FAULT_SEED replays a run.
 */
import { FaultReport, runFaultScenario } from './scenario';

const ROUNDS = Number(process.env.COCOON_FAULT_ROUNDS ?? 1);
// A seed replays only with the same sessions and fault rate: a seed from `npm run test:faults` (ROUNDS > 1: 4
// sessions, rate 0.6) replays alone with COCOON_FAULT_ROUNDS=1 COCOON_FAULT_SESSIONS=4 COCOON_FAULT_RATE=0.6.
const SESSIONS = Number(process.env.COCOON_FAULT_SESSIONS ?? (ROUNDS > 1 ? 4 : 2));
const RATE = Number(process.env.COCOON_FAULT_RATE ?? (ROUNDS > 1 ? 0.6 : 0.4));
const BASE_SEED = Number(process.env.COCOON_FAULT_SEED ?? (ROUNDS > 1 ? Date.now() % 1_000_000 : 20260127));

function summary(r: FaultReport): string {
    const json = JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    return `fault report (replay with COCOON_FAULT_SEED=${r.seed} COCOON_FAULT_ROUNDS=1 COCOON_FAULT_SESSIONS=${SESSIONS} COCOON_FAULT_RATE=${RATE}): ${json}`;
}

describe('fault injection: kills, restarts and chain outages keep money safe', () => {
    for (let round = 0; round < ROUNDS; round++) {
        const seed = BASE_SEED + round;
        it(`seed ${seed}: no served request unpaid, no order stuck, no re-run, no double claim, same book`, async () => {
            const replay = `COCOON_FAULT_SEED=${seed} COCOON_FAULT_ROUNDS=1 COCOON_FAULT_SESSIONS=${SESSIONS} COCOON_FAULT_RATE=${RATE}`;
            console.log(`fault seed: ${seed} (replay with ${replay})`);
            const r = await runFaultScenario({
                seed,
                sessions: SESSIONS,
                faultRate: RATE,
                log: (l) => process.env.COCOON_FAULT_VERBOSE && console.log(l),
            });
            console.log(summary(r));
            expect(r.moneyLost).toBe(0n);
            expect(r.overpaid).toBe(0n);
            expect(r.stuckOrders).toEqual([]);
            expect(r.replayedFromStore).toBeGreaterThan(0);
            expect(r.replayMismatches).toBe(0);
            expect(r.duplicateSeqnoClaims).toBe(0);
            for (const s of r.sessions) {
                expect(s.refusedClaims).toBe(0);
                expect(s.orderSeqno).toBeGreaterThanOrEqual(s.acceptedSeqno);
                expect(s.paid).toBeGreaterThanOrEqual(s.acceptedValue);
                // settlement forwarded everything the claims charged to the Provider
                expect(s.unforwarded).toBe(0n);
            }
            expect(r.bookEqualsRebuilt).toBe(true);
            expect(r.faultsInjected).toBeGreaterThan(0);
        }, 600_000);
    }
});
