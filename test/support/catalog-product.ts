/** A valid catalog product as a feed or upload gives it (raw fields), with `over` changed: the base of catalog parser tests. */
export const rawProduct = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'sku-1',
  title: 'Rose face cream',
  link: '/p/sku-1',
  image_link: '/img/sku-1.svg',
  price: 24.5,
  currency: 'EUR',
  availability: 'in_stock',
  product_type: 'Beauty > Skin care',
  ...over,
});
