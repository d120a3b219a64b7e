"""Click's IPsec ESP elements (elements/ipsec/): RadixIPsecLookup (a route table whose
tunnel routes carry a security association), IPsecESPEncap / IPsecESPUnencap,
IPsecAuthHMACSHA1, IPsecAES and IPsecEncap.

They rewrite the payload, so no switch runs them. The engine runs them bit for bit as
Click 2.1 does, quirks included: IPsecAES chains 16-byte AES blocks through an 8-byte
IV (the first 8 bytes of each block are XORed with the first 8 of the previous
ciphertext block), encrypts 8 bytes of the digest when the payload is not a multiple of
16, and the ESP IV comes from libc ``random()`` seeded by RandomSeed
(``families/clickrandom.py``).
AES comes from the ``cryptography`` package, HMAC-SHA1 from Python's ``hmac``.
"""
