/**
 * Intel SGX Root CA (CN=Intel SGX Root CA, serial 22650CD65A9D3489F383B49552BF501B392706AC, valid 2018-05-21 to
 * 2049-12-31), the trust anchor of every production PCK chain and of TCB info / QE identity signing.
 *
 * Taken from @phala/dcap-qvl, which ships it; the fingerprint below is pinned and checked at load, and the
 * tests check it equals the root at the end of the PCK chain inside a real quote, so a changed dependency
 * cannot swap the anchor silently.
 */
import { createHash } from 'crypto';
import { constants } from '@phala/dcap-qvl';

export const INTEL_SGX_ROOT_CA_SHA256 = '44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3';

export const INTEL_SGX_ROOT_CA_DER: Buffer = (() => {
    const der = Buffer.from(constants.TRUSTED_ROOT_CA_DER);
    const fp = createHash('sha256').update(der).digest('hex');
    if (fp !== INTEL_SGX_ROOT_CA_SHA256) {
        throw new Error(
            `Intel SGX root CA from @phala/dcap-qvl has fingerprint ${fp}, expected ${INTEL_SGX_ROOT_CA_SHA256}`,
        );
    }
    return der;
})();
