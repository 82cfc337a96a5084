//! playout (under construction)
