import t from 'tap';
import { MemoryLeaseStore } from '../../src/leases/memory-lease-store.js';
import { leaseStoreContract } from './lease-store-contract.js';

// `lessor dev`'s in-process store passes the same contract as the Redis store.
leaseStoreContract(t, async () => new MemoryLeaseStore());
