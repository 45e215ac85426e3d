"""Early warnings (信息预警): rules over what departments published, warnings delivered through the exchange."""
