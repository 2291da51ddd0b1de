/**
 * Which orders a Timeout would move now, with the exact deadlines of the Order's Timeout handler
 * (contracts/order.tolk): an early Timeout fails (TOO_EARLY) and burns the keeper's gas, so the keeper sends one
 * only past the deadline plus a margin for clock skew between this machine and the chain.
 */
import { OrderState } from '../../wrappers/Constants';
import { OrderView } from '../types';

export type TimeoutKind = 'unmatched' | 'no-show' | 'closed' | 'expired';

export function timeoutDue(o: OrderView, now: number, skew = 2): TimeoutKind | null {
    const t = now - skew;
    if (o.state === OrderState.OPEN && t > o.matchBy) return 'unmatched';
    if (o.state === OrderState.MATCHED && o.seqno === 0 && o.firstReceiptBy > 0 && t > o.firstReceiptBy)
        return 'no-show';
    if (o.state === OrderState.CLOSING && t > o.closeAt + o.closeGrace) return 'closed';
    if (o.state === OrderState.MATCHED && t > o.expiresAt + o.closeGrace) return 'expired';
    return null;
}
