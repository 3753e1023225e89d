/** A product as the service keeps it. */
export type Product = {
  readonly id: number;
  name: string;
  description: string | null;
  price: number;
  category: string | null;
  stock: number;
  /** The id of the user who created it. */
  readonly createdBy: number;
  readonly createdAt: string;
  updatedAt: string;
};

export type NewProduct = Pick<Product, 'name' | 'description' | 'price' | 'category' | 'stock'> & {
  readonly createdBy: number;
};

/** Products in memory; a real service has a database. */
export class ProductStore {
  readonly #products = new Map<number, Product>();
  #nextId = 1;

  add(fields: NewProduct): Product {
    const now = new Date().toISOString();
    const product: Product = { ...fields, id: this.#nextId++, createdAt: now, updatedAt: now };
    this.#products.set(product.id, product);
    return product;
  }

  get(id: number): Product | undefined {
    return this.#products.get(id);
  }
}
