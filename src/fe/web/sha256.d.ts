export function sha256Hex(text: string): string;
export function dashboardXAuth(product: string): string;
