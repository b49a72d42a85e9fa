## Reference numbers for survey/design/tables.py and wald.py (tests/test_tables.py).
## Run from anywhere:  Rscript tests/reference/regression_tables.R
## Writes tests/reference/regression_tables.json.  R survey 4.1.1, jsonlite.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apiclus1 <- dat("apiclus1.csv")
apistrat <- dat("apistrat.csv")
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus1 <- update(dclus1, edcat = cut(avg.ed, c(0, 2.5, 3, 5)))  # 26 NA in avg.ed
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
rclus1 <- as.svrepdesign(dclus1, type = "JK1")

chisq_out <- function(formula, design) {
  out <- list()
  for (st in c("F", "Chisq", "Wald", "adjWald")) {
    t <- svychisq(formula, design, statistic = st)
    out[[st]] <- list(statistic = unname(drop(t$statistic)), parameter = as.list(t$parameter),
                      p = unname(drop(t$p.value)))
  }
  ## Pearson X^2 of svytable(Ntotal = nrow) -- the unadjusted statistic R prints for "Chisq"
  out$pearson <- unname(svychisq(formula, design, statistic = "Chisq")$statistic)
  out
}
ref <- list()
ref$clus1_schwide_stype <- chisq_out(~sch.wide + stype, dclus1)
ref$strat_schwide_stype <- chisq_out(~sch.wide + stype, dstrat)
ref$clus1_stype_edcat <- chisq_out(~stype + edcat, dclus1)
ref$jk1_schwide_stype <- chisq_out(~sch.wide + stype, rclus1)

## Weighted crosstab of stype (rows) by sch.wide (columns) on dclus1
tab <- svytable(~stype + sch.wide, dclus1)
tot <- svytotal(~interaction(stype, sch.wide), dclus1)   # cells, stype varies fastest
rowp <- svyby(~sch.wide, ~stype, dclus1, svymean)
ref$crosstab_clus1 <- list(
  rows = rownames(tab), cols = colnames(tab),
  count = unname(as.vector(tab)),                 # column-major: stype fastest
  count_se = unname(SE(tot)),
  row_prop = unname(as.vector(prop.table(tab, 1))),
  row_prop_se = unname(as.vector(as.matrix(SE(rowp)))),  # (stype) x (No, Yes)
  col_prop = unname(as.vector(prop.table(tab, 2))))

## Linear Wald hypothesis: ell - meals = 0 in the stratified linear model
m <- svyglm(api00 ~ ell + meals + mobility, design = dstrat)
cc <- svycontrast(m, c(0, 1, -1, 0))
ref$contrast_ell_meals <- list(estimate = unname(drop(coef(cc))), se = unname(drop(SE(cc))),
                               F = unname(drop((coef(cc) / SE(cc))^2)),
                               p = unname(drop(pf((coef(cc) / SE(cc))^2, 1, m$df.residual, lower.tail = FALSE))),
                               ddf = m$df.residual)
rt <- regTermTest(m, ~ell + meals)
ref$regterm_ell_meals <- list(F = unname(drop(rt$Ftest)), ndf = rt$df, ddf = rt$ddf, p = unname(drop(rt$p)))
## Wald test on a vector of means: api00 - api99 = 0 (growth), chi-square as svycontrast
mm <- svymean(~api00 + api99, dclus1)
cc <- svycontrast(mm, c(api00 = 1, api99 = -1))
ref$contrast_means <- list(estimate = unname(drop(coef(cc))), se = unname(drop(SE(cc))),
                           chisq = unname(drop((coef(cc) / SE(cc))^2)),
                           p = unname(drop(pchisq((coef(cc) / SE(cc))^2, 1, lower.tail = FALSE))))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "regression_tables.json"))
