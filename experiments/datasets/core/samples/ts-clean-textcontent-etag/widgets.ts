import { createHash } from "crypto";

export interface Review {
  author: string;
  body: string;
  rating: number;
}

export function renderReviews(list: HTMLUListElement, reviews: Review[]): void {
  list.innerHTML = "";
  for (const review of reviews) {
    const item = document.createElement("li");
    const author = document.createElement("strong");
    author.textContent = review.author;
    const body = document.createElement("p");
    body.textContent = review.body;
    item.append(author, body);
    item.setAttribute("data-rating", String(review.rating));
    list.appendChild(item);
  }
}

export function etagFor(payload: string): string {
  return '"' + createHash("md5").update(payload).digest("hex") + '"';
}
