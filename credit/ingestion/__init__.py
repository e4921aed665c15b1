"""The data-collection layer: borrowers and credit events from upstream systems.

`validation` is pure (no ORM): it checks one item at a time against the contract.
`services` writes what passed, in bulk, and answers per item.
"""
