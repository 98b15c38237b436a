"""The onboarding wizard: catalog-driven steps that collect what Stripe still needs and send it at once."""
