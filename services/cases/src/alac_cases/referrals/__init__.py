"""referrals of a case to a partner tenant."""
