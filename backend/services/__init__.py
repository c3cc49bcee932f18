"""Domain services: the only code that reads and writes the database.

Routes and OCPP handlers call these keyword-only functions with an ``AsyncSession`` and the
acting principal; services enforce tenant isolation and raise :mod:`backend.errors`.
"""
