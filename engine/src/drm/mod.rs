//! drm (under construction)
