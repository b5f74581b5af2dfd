// Compiles only if the generated types carry what the peer status page relies on.
import type { components, operations, paths } from "../generated/peer-ce";

type MyCertifications =
  paths["/v1/me/certifications"]["get"]["responses"]["200"]["content"]["application/json"];
type Compliance = components["schemas"]["CompliancePublic"];
type Problem = components["schemas"]["Problem"];
type Verification =
  operations["verifyCertification"]["responses"]["200"]["content"]["application/json"];
type CatalogQuery = NonNullable<operations["searchCourses"]["parameters"]["query"]>;

export function gaps(page: MyCertifications): Array<{ code: string; category: string; remaining: number }> {
  return page.items.flatMap((item) => {
    const c: Compliance = item.compliance;
    return c.categories
      .filter((r) => r.remaining_hours > 0)
      .map((r) => ({ code: c.credential_code, category: r.category, remaining: r.remaining_hours }));
  });
}

export function statusLine(v: Verification): string {
  return `${v.name}: ${v.credential_code} ${v.number} is ${v.status} until ${v.current_cycle_end}`;
}

export function problemText(p: Problem): string {
  return `${p.status} ${p.title}${p.detail ? `: ${p.detail}` : ""}`;
}

export const closeTheGap: CatalogQuery = { credential_code: "PA-CPS", category: "ethics", limit: 5 };

export async function myCertifications(baseUrl: string, token: string): Promise<MyCertifications> {
  const response = await fetch(`${baseUrl}/v1/me/certifications`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
  });
  if (!response.ok) throw new Error(problemText((await response.json()) as Problem));
  return (await response.json()) as MyCertifications;
}
