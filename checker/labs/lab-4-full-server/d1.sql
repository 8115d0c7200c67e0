-- D1 fixture for lab 4: a small product catalogue the query_data tool reads.
CREATE TABLE products (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  category TEXT NOT NULL,
  price_cents INTEGER NOT NULL,
  in_stock INTEGER NOT NULL DEFAULT 1
);
INSERT INTO products (id, name, category, price_cents, in_stock) VALUES
  (1, 'Trail mug', 'kitchen', 1450, 1),
  (2, 'Enamel plate', 'kitchen', 990, 1),
  (3, 'Head torch', 'outdoor', 3200, 0),
  (4, 'Dry bag 10L', 'outdoor', 2150, 1),
  (5, 'Notebook', 'office', 650, 1);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  product_id INTEGER NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL,
  placed_at TEXT NOT NULL
);
INSERT INTO orders (id, product_id, quantity, placed_at) VALUES
  (1, 1, 2, '2026-10-01T09:12:00Z'),
  (2, 4, 1, '2026-10-02T17:40:00Z'),
  (3, 5, 10, '2026-10-03T08:05:00Z');
