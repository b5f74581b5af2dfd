"""Verifiable completion certificates: Open Badges 3.0 credentials on VC Data Model 2.0, signed as VC-JWTs by a
did:web issuer, stored once per completion, revoked through a W3C Bitstring Status List."""
