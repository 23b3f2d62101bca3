-- Departments for statistics (issue 7): the 入驻单位 / 部门 a window belongs to. Statistics per
-- department group a rating by the department of its window as the registry holds it when the
-- figures are computed (docs/statistics.md). Free text, like the province's proDepart; NULL = 未设置.
ALTER TABLE windows ADD COLUMN department TEXT;
