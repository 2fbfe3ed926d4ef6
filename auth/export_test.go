package auth

// DummyHash lets the black-box tests check the cost of the hash that
// DummyCheck compares against.
const DummyHash = dummyHash
