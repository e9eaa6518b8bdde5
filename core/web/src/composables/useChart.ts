// Charts: ECharts is loaded only by the pages that chart (its own chunk),
// with just the chart types and components named here. Add what you need.
import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref } from 'vue'
import type { EChartsCoreOption } from 'echarts/core'

export function useChart(el: Ref<HTMLElement | null>, option: Ref<EChartsCoreOption | null>) {
  const ready = shallowRef(false)
  let chart: { setOption(o: EChartsCoreOption): void; resize(): void; dispose(): void } | null = null
  const resize = () => chart?.resize()

  onMounted(async () => {
    const [core, charts, comps, renderers] = await Promise.all([
      import('echarts/core'),
      import('echarts/charts'),
      import('echarts/components'),
      import('echarts/renderers'),
    ])
    core.use([charts.BarChart, charts.PieChart, charts.LineChart, comps.GridComponent, comps.TooltipComponent, comps.LegendComponent, renderers.CanvasRenderer])
    if (!el.value) return
    chart = core.init(el.value)
    if (option.value) chart.setOption(option.value)
    window.addEventListener('resize', resize)
    ready.value = true
  })
  watch(option, (o) => o && chart?.setOption(o))
  onBeforeUnmount(() => {
    window.removeEventListener('resize', resize)
    chart?.dispose()
  })
  return { ready }
}
