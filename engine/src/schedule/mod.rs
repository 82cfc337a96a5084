//! schedule (under construction)
