"""Operations: plain functions with explicit arguments (session, gateway, now)."""
