// What the dashboard knows of the contracts, to read the chain without the API: the events it
// decodes (exactly as in ledger/artifacts; tests/e2e/test_dashboard.py checks each one against
// them), the slash reasons in order, the region codes in order, and the development chains.

export const MARKET_EVENTS = [
  "event JobPosted(bytes32 indexed jobId, address indexed requester, tuple(address requester, bytes32 programId, bytes32 inputDigest, bytes32 verifierPin, uint96 minPrice, uint96 maxPrice, uint32 ramp, uint96 collateral, uint8 redundancy, uint8 quorum, uint8 mode, uint64 fuelLimit, uint40 lockDeadline, uint40 commitDeadline, uint40 revealDeadline, uint32 regions, uint256 nonce, uint40 expiry) request, uint256 escrow)",
  "event JobLocked(bytes32 indexed jobId, address indexed worker, uint8 slot, uint256 price)",
  "event ResultCommitted(bytes32 indexed jobId, address indexed worker, uint8 slot, bytes32 commitment)",
  "event ResultRevealed(bytes32 indexed jobId, address indexed worker, uint8 slot, bytes32 digest, bytes32 resultCid)",
  "event ProofAccepted(bytes32 indexed jobId, address indexed worker, bytes32 digest, bytes32 resultCid)",
  "event ProofRejected(bytes32 indexed jobId, address indexed worker, bytes32 digest)",
  "event JobProvisional(bytes32 indexed jobId, bytes32 digest, uint8 agreeing, uint256 finalAfter)",
  "event JobSettled(bytes32 indexed jobId, bytes32 winningDigest, uint8 agreeing)",
  "event JobUnresolved(bytes32 indexed jobId, uint8 largestGroup, uint8 quorum)",
  "event JobVoid(bytes32 indexed jobId, uint8 revealed)",
  "event JobExpired(bytes32 indexed jobId)",
  "event JobEscalated(bytes32 indexed jobId)",
  "event WorkerPaid(bytes32 indexed jobId, address indexed worker, uint256 amount)",
  "event WorkerSlashed(bytes32 indexed jobId, address indexed worker, uint256 amount, uint8 reason)",
  "event Refunded(bytes32 indexed jobId, address indexed requester, uint256 amount)",
  "event Deposited(address indexed account, uint256 amount)",
  "event Withdrawn(address indexed account, uint256 amount)",
  "event NonceCancelled(address indexed requester, uint256 nonce)",
];

export const COURT_EVENTS = [
  "event AuditScheduled(bytes32 indexed jobId, uint256 seedBlock)",
  "event AuditSkipped(bytes32 indexed jobId, bool sampled)",
  "event AuditorDrawn(bytes32 indexed jobId, address indexed auditor)",
  "event Disputed(bytes32 indexed jobId, address indexed account, bytes32 digest, uint256 amount, uint8 round)",
  "event JurorDrawn(bytes32 indexed jobId, address indexed juror, uint8 round, uint8 seats)",
  "event VoteCommitted(bytes32 indexed jobId, address indexed juror, uint8 round)",
  "event VoteRevealed(bytes32 indexed jobId, address indexed juror, uint8 round, bytes32 digest, bytes32 checkpoint)",
  "event RoundResolved(bytes32 indexed jobId, uint8 round, bool majority, bytes32 digest, uint256 appealDeadline)",
  "event CaseDecided(bytes32 indexed jobId, bytes32 digest, uint256 pot, uint256 jurorFees, uint256 winnersShare)",
  "event CaseVoid(bytes32 indexed jobId, uint8 round)",
  "event ClaimPaid(bytes32 indexed jobId, address indexed account, uint256 amount)",
  "event JurorPaid(bytes32 indexed jobId, address indexed juror, uint256 amount)",
];

export const STAKE_EVENTS = [
  "event Staked(address indexed worker, uint256 amount)",
  "event CollateralLocked(address indexed worker, bytes32 indexed jobId, uint256 amount)",
  "event CollateralReleased(address indexed worker, bytes32 indexed jobId, uint256 amount)",
  "event Slashed(address indexed worker, bytes32 indexed jobId, uint256 amount, uint256 burned, uint8 reason, address beneficiary)",
];

export const TOKEN_EVENTS = ["event Transfer(address indexed from, address indexed to, uint256 value)"];

/** A settlement's kind (as `/v1/settlements` names it) -> [contract, event, the account's argument]. */
export const SETTLEMENT_EVENTS = {
  paid: ["JobMarket", "WorkerPaid", "worker"],
  slashed: ["JobMarket", "WorkerSlashed", "worker"],
  refunded: ["JobMarket", "Refunded", "requester"],
  claim: ["Court", "ClaimPaid", "account"],
  juror: ["Court", "JurorPaid", "juror"],
};

/** `IStakeManager.SlashReason` in order, in the words every tool shows (`ledger.SlashReason.describe`). */
export const SLASH_REASONS = ["wrong result", "no reveal", "deadline missed", "invalid proof", "lost dispute"];

/** `ledger.REGIONS`: a region's number is its index (a job's regions are a mask of them). */
export const REGIONS = [
  "global", "eu", "us", "ch", "uk", "ca", "jp", "sg", "au", "br", "in", "kr", "de", "fr", "nl", "se",
  "no", "fi", "dk", "es", "it", "pl", "ie", "at", "be", "za", "ae", "hk", "tw", "mx", "cl", "nz",
];

/** `ledger.DEV_CHAIN_IDS`: chains whose development accounts are public (anvil's, Hardhat's, ours). */
export const DEV_CHAIN_IDS = [31337, 1337];

/** The public development mnemonic (anvil, Hardhat, `agora up`): never for real money. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const DEV_HD_PATH = "m/44'/60'/0'/0";
