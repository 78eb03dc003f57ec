"""What the test suite and the benchmarks both use: documents made on the fly with known text
(`testkit.documents`) and local servers speaking the paid clouds' REST APIs (`testkit.fakes`).

It is not part of the product: the images and the wheel leave it out, and the import contracts keep
shared, api, worker and cli from importing it.
"""
