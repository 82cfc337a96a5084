//! fmp4 (under construction)
