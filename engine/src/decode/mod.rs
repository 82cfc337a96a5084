//! decode (under construction)
