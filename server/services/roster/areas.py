"""Streets and communities of a roster row, by area code or by name, from one query."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Area
from server.services.roster.values import AREA_COLUMNS, CellError, RowValues


class AreaIndex:
    """Every street and community, looked up by code, or by name (a community's within its
    street); a name two streets share must be given by code."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(
            select(Area.id, Area.code, Area.name, Area.kind, Area.parent_id).where(
                Area.kind.in_(("street", "community"))
            )
        ).all()
        self.street_code: dict[str, int] = {}
        self.street_name: dict[str, list[int]] = {}
        self.community_code: dict[str, tuple[int, int]] = {}
        self.community_name: dict[tuple[int, str], int] = {}
        self._resolved: dict[tuple, tuple[dict, list]] = {}
        for area_id, code, name, kind, parent in rows:
            if kind == "street":
                self.street_code[code] = area_id
                self.street_name.setdefault(name, []).append(area_id)
            else:
                self.community_code[code] = (area_id, parent)
                self.community_name[(parent, name)] = area_id

    def street(self, column: str, text: str) -> int:
        if text in self.street_code:
            return self.street_code[text]
        found = self.street_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise CellError(column, f"有多个街道名为“{text}”，请填写区划代码。")
        raise CellError(column, f"没有这个街道：“{text}”。")

    def community(self, column: str, text: str, street_id: int) -> int:
        if text in self.community_code:
            community_id, parent = self.community_code[text]
            if parent != street_id:
                raise CellError(column, f"社区“{text}”不属于所填的街道。")
            return community_id
        found = self.community_name.get((street_id, text))
        if found is None:
            raise CellError(column, f"所填街道下没有这个社区：“{text}”。")
        return found

    def resolve(self, row: RowValues) -> None:
        """Fill the row's four area ids (residence defaults to registration), or add the
        refusal; remembered per four texts, which few rows of a file do not share."""
        key = tuple(row.areas.get(k) for k in AREA_COLUMNS)
        if key not in self._resolved:
            found = RowValues(areas=row.areas)
            self._resolve(found)
            self._resolved[key] = (found.household, found.errors)
        ids, errors = self._resolved[key]
        row.household.update(ids)
        row.errors.extend(errors)

    def _resolve(self, row: RowValues) -> None:
        texts = row.areas
        try:
            reg_street = self.street("registration_street", texts["registration_street"])
            reg_comm = self.community(
                "registration_community", texts["registration_community"], reg_street
            )
        except KeyError:
            return  # a required cell was blank: already refused
        except CellError as error:
            row.errors.append((error.column, error.message))
            return
        ids = {"registration_street_id": reg_street, "registration_community_id": reg_comm}
        try:
            res_street = (
                self.street("residence_street", texts["residence_street"])
                if "residence_street" in texts
                else reg_street
            )
            if "residence_community" in texts:
                res_comm = self.community(
                    "residence_community", texts["residence_community"], res_street
                )
            elif res_street == reg_street:
                res_comm = reg_comm
            else:
                raise CellError("residence_community", "居住街道与户籍街道不同时必填。")
        except CellError as error:
            row.errors.append((error.column, error.message))
            return
        ids |= {"residence_street_id": res_street, "residence_community_id": res_comm}
        row.household.update(ids)
